"""The APIs' payloads as pydantic schemas: they validate the input and describe it in OpenAPI.

`common` holds the error envelope and the field types shared by both APIs, `drafts` the drafting
API's bodies and answers, `articles` the read API's answers and query parameters.
"""
