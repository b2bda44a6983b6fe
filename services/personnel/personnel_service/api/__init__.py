"""Personnel's API blueprints for features built in the service layout of decision 0005."""
