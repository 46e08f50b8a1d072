"""``lib``: the JAX library behind *Why gradient descent finds global minima*.

Each module holds one idea of the book:

* :mod:`lib.data`: inputs on the sphere, teacher labels, scikit-learn's digits;
* :mod:`lib.mlp`: deep ReLU networks in the book's row layout;
* :mod:`lib.twolayer`: the two-layer network of Du et al. and its Gram matrix;
* :mod:`lib.kernels`: empirical NTK, analytic ReLU kernels, Du et al.'s :math:`H^\\infty`;
* :mod:`lib.lastlayer`: chapter 2's theorem, tracked through the last hidden layer;
* :mod:`lib.deq`: deep equilibrium linear models, their effective weight and preconditioner;
* :mod:`lib.trust_region`: trust-region Newton with a metric (exact and Steihaug-CG subproblems);
* :mod:`lib.report`: the report format of every theorem check;
* :mod:`lib.sweep`: the smallest width at which a property holds;
* :mod:`lib.train`: full-batch gradient descent with a per-step history;
* :mod:`lib.linalg`: smallest eigenvalues and singular values in float64;
* :mod:`lib.rates`: linear-rate bounds, measured rates, log-log slopes;
* :mod:`lib.plotting`: the house style and measured-against-predicted plots;
* :mod:`lib.explore`: the functions behind the chapters' interactive explorers.
"""
from lib import data, deq, kernels, linalg, mlp, rates, report, sweep, train, trust_region, twolayer
from lib import explore, lastlayer, plotting

__all__ = [
    "data", "deq", "explore", "kernels", "lastlayer", "linalg", "mlp", "plotting", "rates", "report", "sweep",
    "train", "trust_region", "twolayer",
]
__version__ = "0.1.0"
