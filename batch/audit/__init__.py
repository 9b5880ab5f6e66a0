"""The audit log: the JSON-lines record of what happened to every manifest row."""
