"""ViewPlan: which docks a graph's nodes declare, and which dock (and legend entry) a tag feeds.

Pure Python (no Qt): built from a graph and a registry, so it is tested without a window. Views
of several nodes that share kind and title become one dock (every layer's "Gradient norms"
curves on one plot). Legends use node titles, never ids.

Per-split metrics ('train/<key>', 'val/<key>') are keyed by the engine: the first node
reporting a metric name gets the plain name, a second one '<node>.<name>'. Such a tag is routed
as the plain one, so the second loss node's 'train/rnn_loss.loss' joins 'train/loss' in the
error history, and where several nodes report a view's metric the legend names each by title.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.views import View, ViewKind, tag_matches

SPLITS = ("train", "val")

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
                 fallback: bool = True, metric_keys: dict | None = None):
        self.views = views
        self.titles = titles or {}  # node id -> title, for tags naming a node
        # metric key ('loss', 'rnn_loss.loss') -> (node id, metric name), as the program keys them
        self.metric_owners: dict[str, tuple[str, str]] = {}
        self.fallback = PlannedView((FALLBACK_VIEW.kind, FALLBACK_VIEW.title), FALLBACK_VIEW,
                                    [Source("*", "", "", False, 1)]) if fallback else None
        self._routes: dict[tuple, list] = {}
        if metric_keys:
            self.set_metric_keys(metric_keys)

    def set_metric_keys(self, metric_keys: dict) -> None:
        """The program's {(node id, metric name): key}, so each metric tag names its node."""
        self.metric_owners = {key: owner for owner, key in metric_keys.items()}
        self._routes.clear()

    def guess_metric_keys(self, tags) -> dict:
        """{(node id, name): key} read from metric tags alone (a recorded run): '<node>.<name>'
        keys name their node; a plain name is given to the first node declaring it."""
        keys = {}
        for tag in tags:
            split, _sep, key = tag.partition("/")
            if split not in SPLITS or "/" in key:
                continue
            node, dot, name = key.partition(".")
            if dot and node in self.titles:
                keys[(node, name)] = key
                continue
            owner = next((s.node_id for p in self.views for s in p.sources
                          if tag_matches(s.pattern, f"train/{key}") and s.node_id), "")
            keys[(owner, key)] = key
        return keys

    @classmethod
    def of(cls, graph, registry, metric_keys: dict | None = None) -> ViewPlan:
        """The plan of every node in graph whose type registry knows (unknown types add none);
        metric_keys is the compiled program's (which node reports which metric)."""
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
        return cls(list(planned.values()), titles, metric_keys=metric_keys)

    def route(self, tag: str, kind_family: frozenset | None = None) -> list:
        """[(PlannedView, label)] of every view that shows tag (the fallback if none does).

        kind_family limits the answer to views of those kinds (scalars go to curve views,
        images to image views); the fallback is offered to scalars only.
        """
        key = (tag, kind_family)
        found = self._routes.get(key)
        if found is None:
            found = []
            metric = self._metric(tag)
            routed = metric[0] if metric else tag
            for planned in self.views:
                if kind_family is not None and planned.view.kind not in kind_family:
                    continue
                source = planned.match(routed)
                if source is not None:
                    label = self.label(source, routed, planned)
                    if metric and len(self._reporters(planned)) > 1:
                        rest = "" if label == source.node_title else label
                        label = f"{self.titles.get(metric[1], metric[1])} {rest}".strip()
                    found.append((planned, label))
            if not found and self.fallback is not None and (
                    kind_family is None or ViewKind.CURVES in kind_family):
                found.append((self.fallback, self.title_of_tag(tag)))
            self._routes[key] = found
        return found

    def _metric(self, tag: str) -> tuple[str, str] | None:
        """('train/loss', node id) for a metric tag whose node is known ('train/rnn_loss.loss',
        or 'train/loss' once the program's keys are set), else None."""
        split, sep, key = tag.partition("/")
        if not sep or split not in SPLITS or "/" in key:
            return None
        owner = self.metric_owners.get(key)
        if owner is None:
            node, dot, name = key.partition(".")
            if not (dot and node in self.titles):
                return None
            owner = (node, name)
        return f"{split}/{owner[1]}", owner[0]

    def _reporters(self, planned: PlannedView) -> set:
        """The nodes whose metrics the view shows (known from the program's metric keys)."""
        return {node for node, name in self.metric_owners.values()
                if any(planned.match(f"{split}/{name}") for split in SPLITS)}

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
