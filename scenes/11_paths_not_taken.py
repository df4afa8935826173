"""Chapter 11 — When is the picture decided?

Storyboard (after Diffusion Grid): one stochastic walk, the trunk -> branch points along it, new walks
from each -> the grid of where they end, a row per branch point -> the tree on a 2D map of endpoints ->
the measured spread of endpoints against branch time, and where the picture is "decided" -> first steps
compose, last steps polish. Every image and figure is from build/data/11_paths_not_taken.
"""

import numpy as np
from manim import (DOWN, LEFT, UP, Create, DashedLine, Dot, FadeIn, FadeOut, Indicate, LaggedStart, ValueTracker,
                   VGroup, linear)

from scenes.beats import ChapterScene, beat
from scenes.pieces import DataPlane, HousePlot, ImageGrid, ImagePanel, frame_around, text, text_parts
from scenes.style import GAP, HIGHLIGHT, MUTED, PROMPT, SEED, SMALL_GAP, STEPS, Pace, Slots, Type


class PathsNotTaken(ChapterScene):
    @beat
    def trunk(self, b):
        """One stochastic walk from noise to picture: the trunk."""
        frames = self.array("trunk_xt_frames")
        self.k = ValueTracker(0)
        left, right = Slots.STAGE.split(2, gap=1.2)
        self.walk = ImagePanel(frames[0], left, label="the trunk", color=PROMPT)
        self.walk_caption = text_parts([f"{self.fact('run.scheduler')},", f" {self.fact('run.steps')} steps"],
                                       size=Type.CAPTION, color=PROMPT)
        self.walk_caption.next_to(self.walk.frame, DOWN, buff=SMALL_GAP)
        self.end = ImagePanel(self.array("trunk_final"), right, label="where it ends", color=STEPS)
        b.play(FadeIn(self.walk.image), Create(self.walk.frame))
        self.walk.play_frames(frames, self.k)
        # Fresh noise at every step: the walk, until the voice names its sampler and its steps.
        b.fill(self.k.animate.set_value(len(frames) - 1), rate_func=linear, until="<sampler>")
        b.play(FadeIn(self.walk_caption[0]), pace=Pace.QUICK)
        b.at("<steps>")
        b.play(FadeIn(self.walk_caption[1]), pace=Pace.QUICK)
        b.at("strawberry")
        b.play(*self.end.arrive())
        b.at("trunk")
        b.play(FadeIn(self.walk.label), Indicate(self.walk.frame, color=PROMPT))

    @beat
    def branch(self, b):
        """Branch points along the trunk: the state each new walk starts from."""
        self.walk.image.clear_updaters()
        b.play(FadeOut(self.walk), FadeOut(self.walk_caption), FadeOut(self.end), pace=Pace.QUICK)
        steps = self.fact("run.branch_steps")
        self.points = ImageGrid(self.array("branch_xt_frames"), cols=len(steps), slot=Slots.STAGE.stack(2)[0],
                                col_labels=[f"step {k}" for k in steps])
        note = VGroup(text(f"{self.fact('run.branch_points')} points along the trunk", size=Type.CAPTION,
                           color=MUTED),
                      text(f"{self.fact('run.branches')} new walks from each, new noise from there on",
                           size=Type.CAPTION, color=SEED)).arrange(DOWN, buff=GAP)
        self.note = Slots.STAGE.stack(2)[1].place(note)
        b.at("<points>")
        b.play(FadeIn(self.points.image), FadeIn(self.points.col_labels, lag_ratio=0.2), FadeIn(self.note[0]))
        self.cursor = self.points.highlight(0, 0, color=SEED)
        b.play(Create(self.cursor), pace=Pace.QUICK)
        b.at("<walks>")
        b.play(FadeIn(self.note[1], shift=UP * GAP))
        # Everything before the branch point is shared: the cursor walks the points.
        b.fill(self.cursor.animate.move_to(self.points.cell_center(0, len(steps) - 1)), leave=Pace.QUICK)

    @beat
    def grid(self, b):
        """Where all the walks end: a row per branch point, later rows branching later."""
        b.play(FadeOut(self.points), FadeOut(self.note), FadeOut(self.cursor), pace=Pace.QUICK)
        grid = self.array("grid")
        rows, cols = grid.shape[:2]
        steps = self.fact("run.branch_steps")
        title_slot, rows_slot = Slots.STAGE.rows(1, 8)
        self.count = title_slot.place(text(f"where all {self.fact('run.endpoints')} walks end", size=Type.CAPTION,
                                           color=MUTED))
        self.rows = [ImageGrid(grid[r], cols=cols, slot=slot, row_labels=[f"from step {steps[r]}"])
                     for r, slot in enumerate(rows_slot.stack(rows, gap=GAP / 2))]
        b.at("<endpoints>")
        b.play(FadeIn(self.count), FadeIn(self.rows[0]))
        # Each row branched off later than the row above it.
        b.fill(LaggedStart(*[FadeIn(row, shift=DOWN * GAP) for row in self.rows[1:]], lag_ratio=0.6), until="<early>")
        self.row_frame = frame_around(self.rows[0].image, color=HIGHLIGHT)
        b.play(Create(self.row_frame))  # only the starting noise shared: quite different pictures
        b.at("<late>")
        b.play(self.row_frame.animate.become(frame_around(self.rows[-1].image, color=HIGHLIGHT)))

    @beat
    def tree(self, b):
        """The tree: every walk on the plane where the endpoints differ most."""
        b.play(*[FadeOut(row) for row in self.rows], FadeOut(self.count), FadeOut(self.row_frame), pace=Pace.QUICK)
        branches, trunk = self.array("tree_branches"), self.array("tree_trunk")
        steps = self.fact("run.branch_steps")
        plane_slot, legend_slot = Slots.STAGE.columns(4, 1)
        self.plane = DataPlane(plane_slot, branches.reshape(-1, 2))
        self.trunk_path = self.plane.path(trunk, color=PROMPT, width=5)
        colours = [SEED, HIGHLIGHT, STEPS, PROMPT, MUTED]
        self.branch_paths = VGroup(*[self.plane.path(branches[p, j, k:], color=colours[p % len(colours)],
                                                     width=2, opacity=0.8)
                                     for p, k in enumerate(steps) for j in range(branches.shape[1])])
        legend = VGroup(*[text(f"from step {k}", size=Type.LABEL, color=colours[p % len(colours)])
                          for p, k in enumerate(steps)]).arrange(DOWN, aligned_edge=[-1, 0, 0], buff=GAP)
        self.legend = legend_slot.place(legend)
        end = Dot(self.plane.to_scene(trunk[-1]), color=PROMPT)
        self.trunk_end = VGroup(end, text("the trunk's picture", size=Type.LABEL, color=PROMPT)
                                .next_to(end, LEFT, buff=SMALL_GAP))
        b.play(FadeIn(self.plane), Create(self.trunk_path), FadeIn(self.legend))
        # Early branches fan out first, late ones last: drawn in that order as the voice goes.
        b.fill(LaggedStart(*[Create(p) for p in self.branch_paths], lag_ratio=0.08), until="trunk's own picture")
        b.play(FadeIn(self.trunk_end), pace=Pace.QUICK)

    @beat
    def spread(self, b):
        """The measured spread of endpoints against branch time; where the picture is decided."""
        b.play(FadeOut(VGroup(self.plane, self.trunk_path, self.branch_paths, self.legend, self.trunk_end)),
               pace=Pace.QUICK)
        steps, levels = self.fact("run.branch_steps"), self.array("spread")
        top = float(-(-levels.max() * 1.15 // 10) * 10)  # headroom for the marks
        total = self.fact("run.steps")
        self.plot = HousePlot(Slots.STAGE, [0, total, max(1, total // 6)], [0, top, top / 5],
                              "step at which the walks branch off", "how far apart they end (colour levels)")
        marks = VGroup(*[self.plot.mark(k, float(v), f"{v:.1f}") for k, v in zip(steps, levels)])
        found = self.fact("decided.found")
        # The curve in two pieces: up to the step where the picture is decided, then the rest.
        split = int(np.argmin(np.abs(np.array(steps) - self.fact("decided.step")))) if found else len(steps) - 1
        split = min(max(split, 1), len(steps) - 1)
        self.curve = VGroup(self.plot.curve(steps[:split + 1], levels[:split + 1], color=SEED),
                            *([self.plot.curve(steps[split:], levels[split:], color=SEED)] if split < len(steps) - 1
                              else []))
        b.play(Create(self.plot.axes), FadeIn(self.plot.x_label))  # walks that branch at the very start...
        b.at("<first>")
        b.play(FadeIn(marks[0]), pace=Pace.QUICK)
        b.at("colour levels")
        b.play(FadeIn(self.plot.y_label), pace=Pace.QUICK)
        self.marks = VGroup(marks[0])
        if not found:
            b.fill(Create(self.curve[0]), LaggedStart(*[FadeIn(m) for m in marks[1:]], lag_ratio=0.5))
            self.marks.add(*marks[1:])
            return
        k = self.fact("decided.step")
        line = DashedLine(self.plot.point(k, 0), self.plot.point(k, top), color=HIGHLIGHT)
        label = VGroup(text_parts([f"step {k},", f" {self.fact('decided.percent_of_walk')}% of the way:"],
                                  size=Type.LABEL, color=HIGHLIGHT),
                       text(f"spread {self.fact('decided.spread_percent')}% of the first", size=Type.LABEL,
                            color=HIGHLIGHT),
                       text_parts(["mostly decided,", f" with {self.fact('decided.signal_percent')}% signal"],
                                  size=Type.LABEL, color=HIGHLIGHT)).arrange(DOWN, aligned_edge=LEFT, buff=SMALL_GAP)
        label.next_to(self.plot.point(k, top), DOWN + [1, 0, 0])
        self.marks.add(*marks[1:], line, label)
        b.fill(Create(self.curve[0]), LaggedStart(*[FadeIn(m) for m in marks[1:split + 1]], lag_ratio=0.5),
               until="<decided_step>")
        b.play(Create(line), FadeIn(label[0][0]), pace=Pace.QUICK)
        b.at("<decided_way>")
        b.play(FadeIn(label[0][1]), pace=Pace.QUICK)
        b.at("<decided_spread>")
        b.play(FadeIn(label[1]), Indicate(marks[split]), pace=Pace.QUICK)
        rest = [Create(c) for c in self.curve[1:]] + [FadeIn(m) for m in marks[split + 1:]]
        if rest:
            b.fill(*rest, until="mostly decided")
        else:
            b.at("mostly decided")
        b.play(FadeIn(label[2][0]), pace=Pace.QUICK)
        b.at("<signal>")
        b.play(FadeIn(label[2][1]), pace=Pace.QUICK)
        b.fill(Indicate(line, color=HIGHLIGHT), Indicate(label[2]))  # ...and the rest still noise

    @beat
    def closing(self, b):
        """First steps compose, last steps polish: the first and last rows side by side."""
        b.play(FadeOut(VGroup(self.plot, self.curve, self.marks)), pace=Pace.QUICK)
        grid, steps = self.array("grid"), self.fact("run.branch_steps")
        first, last = Slots.STAGE.stack(2, gap=GAP * 2)
        self.first = ImageGrid(grid[0], cols=grid.shape[1], slot=first, row_labels=[f"from step {steps[0]}"])
        self.last = ImageGrid(grid[-1], cols=grid.shape[1], slot=last, row_labels=[f"from step {steps[-1]}"])
        b.play(FadeIn(self.first))  # the first steps choose the composition
        b.at("the last ones")
        b.play(FadeIn(self.last))  # the last ones only polish the details
