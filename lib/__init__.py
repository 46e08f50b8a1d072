"""``lib``: the JAX library behind *Why gradient descent finds global minima*.

Each module holds one idea of the book:

* :mod:`lib.data`: inputs on the sphere, teacher labels, scikit-learn's digits;
* :mod:`lib.mlp`: deep networks (ReLU unless told otherwise) in the book's row layout;
* :mod:`lib.activations`: ReLU and the smooth leaky ReLU, with their derivative bounds;
* :mod:`lib.pyramid`: chapter 3: pyramidal topology, weak PL, :math:`\\lambda_*`, the theorem check;
* :mod:`lib.twolayer`: the two-layer network of Du et al. and its Gram matrix;
* :mod:`lib.kernels`: empirical NTK, analytic ReLU kernels, Du et al.'s :math:`H^\\infty`;
* :mod:`lib.lastlayer`: chapter 2's theorem, tracked through the last hidden layer;
* :mod:`lib.implicit`: deep ReLU implicit networks: equilibrium solvers, implicit differentiation, kernels;
* :mod:`lib.implicit_theorem`: chapter 4's convergence theorem (gradient descent and flow) and its run records;
* :mod:`lib.deq`: deep equilibrium linear models, their effective weight and preconditioner;
* :mod:`lib.trust_region`: trust-region Newton with a metric (exact and Steihaug-CG subproblems);
* :mod:`lib.report`: the report format of every theorem check;
* :mod:`lib.sweep`: the smallest width at which a property holds;
* :mod:`lib.train`: full-batch gradient descent with a per-step history;
* :mod:`lib.linalg`: smallest eigenvalues and singular values in float64;
* :mod:`lib.rates`: linear-rate bounds, measured rates, log-log slopes;
* :mod:`lib.plotting`: the house style, measured-against-predicted plots, lemma-dependency diagrams;
* :mod:`lib.deps`: which lemma feeds which result, read from a chapter's notebook;
* :mod:`lib.printing`: numbers printed to the digits that survive another CPU;
* :mod:`lib.explore`: the functions behind the chapters' interactive explorers;
* :mod:`lib.frames`: explorers precomputed on a grid, which respond in the static page without a kernel;
* :mod:`lib.frameworks`: check your own network: every theorem of the book on one network, side by side;
* :mod:`lib.check`: self-checks that tell a reader whether an exercise's answer is right.
"""
from lib import activations, data, linalg, rates, report, sweep, train, trust_region
from lib import deq, implicit, kernels, mlp, twolayer
from lib import explore, frames, implicit_theorem, lastlayer, plotting, printing, pyramid
from lib import check, deps, frameworks

__all__ = [
    "activations", "check", "data", "deps", "deq", "explore", "frames", "frameworks", "implicit", "implicit_theorem", "kernels", "lastlayer",
    "linalg", "mlp", "plotting", "printing", "pyramid",
    "rates", "report", "sweep", "train", "trust_region", "twolayer",
]
__version__ = "0.1.0"
