"""Facts: one value per entity and fact id, computed for all entities at once.

`compute_fact_table` returns the values (a pandas DataFrame indexed by entity ref, one column per fact id,
None = unknown) and, per entity, the cause of each unknown (see `causes`); `compute_facts` the values alone.
"""
