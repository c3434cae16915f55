"""The fuzz suite (issue 16): arbitrary bytes into every door, counted per surface."""
