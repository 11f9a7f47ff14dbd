"""The managed local engine: AWS's DynamoDB Local (Java), or moto's server as a fallback."""
