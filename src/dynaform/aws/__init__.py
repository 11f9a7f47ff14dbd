"""The thin shell that talks to DynamoDB: clients from settings, live state, reachability."""
