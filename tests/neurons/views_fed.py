"""A check shared by the example tests: every view a node declares receives events."""

from graph.views import tag_matches


def unfed_views(graph, registry, events, skip=()) -> list[str]:
    """'node: view title' for each declared view no event of the run matched."""
    tags = {event.tag for event in events if hasattr(event, "tag")}
    missing = []
    for node_id, node in graph.nodes.items():
        for view in registry.spec(node.type_id).views:
            if view.title in skip:
                continue
            if not any(tag_matches(pattern, tag) for pattern in view.tags_for(node_id)
                       for tag in tags):
                missing.append(f"{node_id}: {view.title}")
    return missing
