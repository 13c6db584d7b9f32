"""Pure DataFrame -> DataFrame transforms used by the Glue jobs and the stream."""
