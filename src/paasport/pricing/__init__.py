"""Pricing: a dated, sourced catalog of prices and one cost model per platform."""
