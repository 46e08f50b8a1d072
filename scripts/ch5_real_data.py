"""Chapter 5: Kawaguchi's comparison on real data, the DEQ against the shallow and a deep linear model.

For each data set, seed and loss (square, cross-entropy): a random training set
(lib.data.train_test: centred, and standardised where asked, with training statistics only; unit
rows), phi(x) = x, and three models trained by gradient descent from the same initial function
(lib.deq.compare_models, run by lib.deq.real_data_comparison): the DEQ (gamma = 0.8, step (1 - gamma)^2 / lambda_max(Phi^T Phi)),
the shallow linear model (step 1 / lambda_max) and the deep linear network W3 W2 W1
(step 0.25 / lambda_max). A first run gives the training losses after `--steps` steps; the
target is the largest of the three final losses, and a second run records each model's weight
at the first step whose loss reaches it. So the test accuracies are compared at equal training
loss, not after equal numbers of steps (the DEQ's step is (1 - gamma)^2 = 0.04 times the others').

Results go to a small JSON file that the chapter loads. With the shipped data (digits,
breast_cancer) the run takes about a minute on two CPU cores:

    python scripts/ch5_real_data.py --out book/data/ch5_real_data.json

The same experiment runs on MNIST, Kuzushiji-MNIST or CIFAR-10 files you already have (nothing
is downloaded): the four IDX files of MNIST or KMNIST, or the cifar-10-batches-py folder, in ROOT:

    python scripts/ch5_real_data.py --data mnist --root ROOT --n-train 2000 --out mnist.json
"""
from __future__ import annotations

import argparse
import json
import time

import jax

jax.config.update("jax_enable_x64", True)

from lib import data, deq  # noqa: E402

N_TRAIN = {"digits": 300, "breast_cancer": 200, "wine": 100, "mnist": 2000, "kmnist": 2000, "cifar10": 2000}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="+", default=["digits", "breast_cancer"],
                        choices=data.SHIPPED + data.FROM_FILES)
    parser.add_argument("--root", default=None, help="folder of the files, for mnist, kmnist, cifar10")
    parser.add_argument("--n-train", type=int, default=None, help="training samples (default: per data set)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--gamma", type=float, default=0.8)
    parser.add_argument("--out", default="ch5_real_data.json")
    args = parser.parse_args(argv)
    t0 = time.time()
    result = {"config": {"gamma": args.gamma, "steps": args.steps, "seeds": args.seeds, "models": list(deq.MODELS),
                         "data": args.data}, "records": [], "curves": {}}
    for name in args.data:
        n_train = args.n_train or N_TRAIN[name]
        for seed in range(args.seeds):
            records, curves = deq.real_data_comparison(name, n_train, seed, args.gamma, args.steps, args.root)
            result["records"] += records
            if seed == 0:
                result["curves"][name] = curves
            for r in records:
                print(f"{name:>13} seed {seed} {r['kind']:>13}: accuracy at matched loss "
                      + " ".join(f"{a:.3f}" for a in r["acc_matched"]) + f" ({time.time() - t0:.0f} s)", flush=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
