"""Personnel's rules for features built in the service layout of decision 0005."""
