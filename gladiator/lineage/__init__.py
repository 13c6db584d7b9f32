"""OpenLineage run events from every job, the stream and the landing Lambda, and the graph they make.

- ``gladiator.lineage.emit``: a run as a context manager (START, then COMPLETE or FAIL) with its
  input and output datasets, a batch facet and data-quality facets, sent through the
  ``openlineage-python`` client: a file transport locally, HTTP on AWS.
- ``gladiator.lineage.graph``: reads the events back and walks a table's upstream graph down to
  the landing files (``gladiator lineage --table gold.fact_sales``).

Dataset names are the lake's own: namespace ``s3://<bucket>``, name the key prefix
(``silver/orders``) or, for a landing file, its key.
"""
