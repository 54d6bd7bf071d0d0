"""Community: customers help customers — a hosted Q&A community with reputation, topic experts and inbox routing."""
