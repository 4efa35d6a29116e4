"""The planner: predict each platform's duration and cost from history, then choose under a
deadline, a budget and the allowed platforms (see choose.py)."""
