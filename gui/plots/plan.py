"""ViewPlan: which docks a graph's nodes declare, and which dock (and legend entry) a tag feeds.

Pure Python (no Qt): built from a graph and a registry, so it is tested without a window. Views
of several nodes that share kind and title become one dock (every layer's "Gradient norms"
curves on one plot). Legends use node titles, never ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.views import View, ViewKind, tag_matches

# Tags no view claims go to one generic dock, so a family that forgot a declaration still
# shows its values (and the omission is visible).
FALLBACK_VIEW = View(ViewKind.CURVES, "Other values", ("*",),
                     doc="Values no node of the graph declares a view for.")


@dataclass(frozen=True)
class Source:
    """One tag pattern of a view, as declared by one node of the graph."""

    pattern: str  # with {node} filled in
    node_id: str
    node_title: str
    node_pattern: bool  # the declared pattern carried {node}
    view_patterns: int  # how many patterns the declaring view has


@dataclass
class PlannedView:
    """A dock to build: the view it shows and the node patterns that feed it."""

    key: tuple  # (kind, title)
    view: View
    sources: list[Source] = field(default_factory=list)

    @property
    def node_ids(self) -> list[str]:
        return list(dict.fromkeys(source.node_id for source in self.sources))

    def match(self, tag: str) -> Source | None:
        """The first source whose pattern selects tag, or None."""
        for source in self.sources:
            if tag_matches(source.pattern, tag):
                return source
        return None


class ViewPlan:
    """Docks declared by the nodes of one graph; route(tag) -> (PlannedView, legend label)."""

    def __init__(self, views: list[PlannedView], titles: dict[str, str] | None = None,
                 fallback: bool = True):
        self.views = views
        self.titles = titles or {}  # node id -> title, for tags naming a node
        self.fallback = PlannedView((FALLBACK_VIEW.kind, FALLBACK_VIEW.title), FALLBACK_VIEW,
                                    [Source("*", "", "", False, 1)]) if fallback else None
        self._routes: dict[tuple, list] = {}

    @classmethod
    def of(cls, graph, registry) -> ViewPlan:
        """The plan of every node in graph whose type registry knows (unknown types add none)."""
        planned: dict[tuple, PlannedView] = {}
        titles = {}
        for node in graph.nodes.values():
            titles[node.id] = node.label
            found = registry.find(node.type_id)
            if found is None:
                continue
            for view in found.spec.views:
                key = (view.kind, view.title)
                entry = planned.setdefault(key, PlannedView(key, view))
                for raw, pattern in zip(view.tags, view.tags_for(node.id)):
                    if any(s.pattern == pattern for s in entry.sources):
                        continue  # two nodes declaring one global tag ('train/loss')
                    entry.sources.append(Source(pattern, node.id, node.label,
                                                "{node}" in raw, len(view.tags)))
        return cls(list(planned.values()), titles)

    def route(self, tag: str, kind_family: frozenset | None = None) -> list:
        """[(PlannedView, label)] of every view that shows tag (the fallback if none does).

        kind_family limits the answer to views of those kinds (scalars go to curve views,
        images to image views); the fallback is offered to scalars only.
        """
        key = (tag, kind_family)
        found = self._routes.get(key)
        if found is None:
            found = []
            for planned in self.views:
                if kind_family is not None and planned.view.kind not in kind_family:
                    continue
                source = planned.match(tag)
                if source is not None:
                    found.append((planned, self.label(source, tag, planned)))
            if not found and self.fallback is not None and (
                    kind_family is None or ViewKind.CURVES in kind_family):
                found.append((self.fallback, self.title_of_tag(tag)))
            self._routes[key] = found
        return found

    def label(self, source: Source, tag: str, planned: PlannedView) -> str:
        """The legend entry of tag: the node's title, what the wildcard matched, or the part
        of the tag that tells it apart from the view's other patterns."""
        pattern = source.pattern
        if pattern.endswith("*"):
            suffix = tag[len(pattern) - 1:]
            shown = self.titles.get(suffix, suffix.replace("/", " "))
            if suffix.isdigit():
                shown = f"#{suffix}"  # an index (a stored pattern, a class)
            if source.node_pattern and len(planned.node_ids) > 1:
                return f"{source.node_title} {shown}".strip()
            return shown or source.node_title
        if source.node_pattern:
            if source.view_patterns == 1:
                return source.node_title
            rest = _distinct_part(tag.replace(source.node_id, ""), planned, source)
            if len(planned.node_ids) > 1:
                return f"{source.node_title} {rest}".strip()
            return rest or source.node_title
        if len(planned.sources) == 1:
            return source.node_title or self.title_of_tag(tag)
        return _distinct_part(tag, planned, source) or tag

    def title_of_tag(self, tag: str) -> str:
        """A tag with any node id in it shown as that node's title ('grad_norm/d2' ->
        'grad_norm/hidden')."""
        return "/".join(self.titles.get(part, part) for part in tag.split("/"))


def _distinct_part(tag: str, planned: PlannedView, source: Source) -> str:
    """The '/'-segments of tag not shared by every other literal pattern of the view
    ('train/loss' among 'val/loss' -> 'train')."""
    others = [s.pattern.replace(s.node_id, "") if s.node_pattern else s.pattern
              for s in planned.sources if s is not source and not s.pattern.endswith("*")]
    if not others:
        return tag.rsplit("/", 1)[-1].replace("_", " ")
    parts = [p for p in tag.split("/") if p]
    common = set.intersection(*(set(o.split("/")) for o in others))
    kept = [p for p in parts if p not in common]
    return " ".join(kept or parts).replace("_", " ").strip(". ")
