"""Facts: one value per entity and fact id, computed for all entities at once.

`compute_facts` returns a pandas DataFrame indexed by entity ref with one column per fact id.
None means unknown.
"""
