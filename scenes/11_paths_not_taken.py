"""Chapter 11 — When is the picture decided?

Storyboard (after Diffusion Grid): one stochastic walk, the trunk -> branch points along it, new walks
from each -> the grid of where they end, a row per branch point -> the tree on a 2D map of endpoints ->
the measured spread of endpoints against branch time, and where the picture is "decided" -> first steps
compose, last steps polish. Every image and figure is from build/data/11_paths_not_taken.
"""

from manim import DOWN, UP, Create, DashedLine, FadeIn, FadeOut, LaggedStart, ValueTracker, VGroup, linear

from scenes.beats import ChapterScene, beat
from scenes.pieces import DataPlane, HousePlot, ImageGrid, ImagePanel, text
from scenes.style import GAP, HIGHLIGHT, MUTED, PROMPT, SEED, STEPS, Pace, Slots, Type


class PathsNotTaken(ChapterScene):
    @beat
    def trunk(self, b):
        """One stochastic walk from noise to picture: the trunk."""
        frames = self.array("trunk_xt_frames")
        self.k = ValueTracker(0)
        left, right = Slots.STAGE.split(2, gap=1.2)
        self.walk = ImagePanel(frames[0], left, label="the trunk", caption=f"{self.fact('run.scheduler')}, "
                               f"{self.fact('run.steps')} steps", color=PROMPT)
        self.end = ImagePanel(self.array("trunk_final"), right, label="where it ends", color=STEPS)
        b.play(*self.walk.arrive())
        self.walk.play_frames(frames, self.k)
        b.fill(self.k.animate.set_value(len(frames) - 1), rate_func=linear, leave=Pace.SLOW)
        b.play(*self.end.arrive())

    @beat
    def branch(self, b):
        """Branch points along the trunk: the state each new walk starts from."""
        self.walk.image.clear_updaters()
        b.play(FadeOut(self.walk), FadeOut(self.end))
        steps = self.fact("run.branch_steps")
        self.points = ImageGrid(self.array("branch_xt_frames"), cols=len(steps), slot=Slots.STAGE.stack(2)[0],
                                col_labels=[f"step {k}" for k in steps])
        note = text(f"{self.fact('run.branches')} new walks from each, new noise from there on",
                    size=Type.CAPTION, color=SEED)
        self.note = Slots.STAGE.stack(2)[1].place(note)
        b.play(FadeIn(self.points.image), FadeIn(self.points.col_labels, lag_ratio=0.2), pace=Pace.SLOW)
        b.play(FadeIn(self.note, shift=UP * GAP))
        self.cursor = self.points.highlight(0, 0, color=SEED)
        b.play(Create(self.cursor), pace=Pace.QUICK)
        b.fill(self.cursor.animate.move_to(self.points.cell_center(0, len(steps) - 1)), leave=Pace.QUICK)

    @beat
    def grid(self, b):
        """Where all the walks end: a row per branch point, later rows branching later."""
        b.play(FadeOut(self.points), FadeOut(self.note), FadeOut(self.cursor))
        grid = self.array("grid")
        rows, cols = grid.shape[:2]
        steps = self.fact("run.branch_steps")
        self.rows = [ImageGrid(grid[r], cols=cols, slot=slot, row_labels=[f"from step {steps[r]}"])
                     for r, slot in enumerate(Slots.STAGE.stack(rows, gap=GAP / 2))]
        b.fill(LaggedStart(*[FadeIn(row) for row in self.rows], lag_ratio=0.6), leave=Pace.NORMAL)

    @beat
    def tree(self, b):
        """The tree: every walk on the plane where the endpoints differ most."""
        b.play(*[FadeOut(row) for row in self.rows])
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
        b.play(FadeIn(self.plane), Create(self.trunk_path), FadeIn(self.legend))
        b.fill(LaggedStart(*[Create(p) for p in self.branch_paths], lag_ratio=0.08))

    @beat
    def spread(self, b):
        """The measured spread of endpoints against branch time; where the picture is decided."""
        b.play(FadeOut(VGroup(self.plane, self.trunk_path, self.branch_paths, self.legend)))
        steps, levels = self.fact("run.branch_steps"), self.array("spread")
        top = float(-(-levels.max() * 1.15 // 10) * 10)  # headroom for the marks
        total = self.fact("run.steps")
        self.plot = HousePlot(Slots.STAGE, [0, total, max(1, total // 6)], [0, top, top / 5],
                              "step at which the walks branch off", "how far apart they end (colour levels)")
        self.curve = self.plot.curve(steps, levels, color=SEED)
        marks = VGroup(*[self.plot.mark(k, float(v), f"{v:.0f}") for k, v in zip(steps, levels)])
        b.play(*self.plot.arrive())
        b.play(Create(self.curve), FadeIn(marks, lag_ratio=0.3), pace=Pace.SLOW)
        self.marks = VGroup(marks)
        if self.fact("decided.found"):
            k = self.fact("decided.step")
            line = DashedLine(self.plot.point(k, 0), self.plot.point(k, top), color=HIGHLIGHT)
            label = text(f"mostly decided: {self.fact('decided.spread_percent')}% of the first spread",
                         size=Type.LABEL, color=HIGHLIGHT).next_to(self.plot.point(k, top), DOWN + [1, 0, 0])
            self.marks.add(line, label)
            b.fill(Create(line), FadeIn(label))

    @beat
    def closing(self, b):
        """First steps compose, last steps polish: the first and last rows side by side."""
        b.play(FadeOut(VGroup(self.plot, self.curve, self.marks)))
        grid, steps = self.array("grid"), self.fact("run.branch_steps")
        first, last = Slots.STAGE.stack(2, gap=GAP * 2)
        self.first = ImageGrid(grid[0], cols=grid.shape[1], slot=first, row_labels=[f"from step {steps[0]}"])
        self.last = ImageGrid(grid[-1], cols=grid.shape[1], slot=last, row_labels=[f"from step {steps[-1]}"])
        b.play(FadeIn(self.first), FadeIn(self.last))
