"""What a question means and how it is answered: options, lookups, matching, results."""
