"""The demo workspace: the people of every story in the product brief, and a realistic bulk around them."""
