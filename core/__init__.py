"""The rules of the warehouse: operations, movements, state machines, domain errors.

Nothing here knows about HTTP, NiceGUI or SQL; storage is reached through the ports in
`core.ports`, implemented by `data.uow`.
"""
