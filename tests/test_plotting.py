import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lib import explore, plotting



def test_house_style_has_opaque_white_backgrounds():
    plotting.use_house_style()
    assert mpl.rcParams["figure.facecolor"] == "white"
    assert mpl.rcParams["savefig.facecolor"] == "white"
    assert mpl.rcParams["savefig.transparent"] is False
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    assert len(set(cycle["linestyle"])) == len(cycle["color"])  # every colour has its own dash


def test_loss_vs_bound_draws_both_curves_on_log_axis():
    ax = plotting.loss_vs_bound(2.0 ** -np.arange(10), 3.0 * 0.9 ** np.arange(10))
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.get_lines()] == ["guaranteed bound", "measured"]
    plt.close("all")


def test_loss_vs_bound_subtracts_loss_star():
    ax = plotting.loss_vs_bound(np.array([3.0, 2.0]), np.array([3.0, 2.5]), loss_star=1.0)
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [2.0, 1.0])
    plt.close("all")


def test_loss_vs_bound_shape_mismatch():
    with pytest.raises(ValueError, match="loss and bound must be 1-d arrays of the same length"):
        plotting.loss_vs_bound(np.ones(3), np.ones(4))


def test_two_layer_explorer_plots_loss_bound_and_eigenvalue():
    fig = explore.two_layer(width=200, eta=0.5, num_steps=50)
    ax_loss, ax_lam = fig.axes
    assert ax_loss.get_yscale() == "log"
    measured = ax_loss.get_lines()[1].get_ydata()
    assert len(measured) == 51 and np.all(np.isfinite(measured)) and measured[-1] < measured[0]
    lam0 = explore.two_layer_data()[2]
    assert ax_lam.get_lines()[1].get_ydata()[0] == pytest.approx(lam0)
    plt.close(fig)


def test_two_layer_explorer_reports_divergence_in_the_figure():
    fig = explore.two_layer(width=200, eta=50.0, num_steps=20)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("diverged" in t and "eta = 50" in t for t in texts)
    plt.close(fig)


def test_deep_relu_explorer_plots_loss_and_sigma_min():
    fig = explore.deep_relu(depth=3, width=64, scheme="he", eta_scale=1.0, num_steps=30)
    ax_loss, ax_sig = fig.axes
    assert ax_loss.get_yscale() == "log"
    assert "fails" in ax_loss.get_title()
    sig = ax_sig.get_lines()[0].get_ydata()
    assert len(sig) == 31 and np.all(sig > 0)
    assert ax_sig.get_lines()[1].get_ydata()[0] == pytest.approx(sig[0] / 2)
    plt.close(fig)


def test_deep_relu_explorer_reports_divergence():
    fig = explore.deep_relu(depth=2, width=64, eta_scale=50.0, num_steps=30)
    assert any("diverged" in t.get_text() for ax in fig.axes for t in ax.texts)
    plt.close(fig)


def test_deq_linear_explorer_plots_deq_shallow_and_bound():
    fig = explore.deq_linear(gamma=0.5, width=4, num_steps=40)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["DEQ guaranteed rate", "DEQ, gamma = 0.5", "shallow model, same features"]
    deq_curve = fig.axes[0].get_lines()[1].get_ydata()
    assert len(deq_curve) == 41 and deq_curve[-1] < deq_curve[0]
    plt.close(fig)


def test_deq_linear_explorer_reports_divergence():
    fig = explore.deq_linear(gamma=0.5, width=4, eta_scale=1e4, num_steps=40)
    assert any("diverged" in t.get_text() for ax in fig.axes for t in ax.texts)
    plt.close(fig)


def test_pyramid_explorer_plots_loss_and_ratios():
    fig = explore.pyramid_net(gamma=0.5, n1=16, topology="8", init="special", num_steps=30)
    ax_loss, ax_ratio = fig.axes
    assert len(ax_loss.get_lines()) == 1 and len(ax_ratio.get_lines()) >= 4
    ratio = ax_ratio.get_lines()[0].get_ydata()
    assert (ratio >= 1 - 1e-9).all()          # the weak PL inequality, as plotted


def test_pyramid_explorer_reports_a_wrong_topology():
    fig = explore.pyramid_net(topology="8-16", num_steps=5)
    assert "pyramidal topology" in fig.axes[0].texts[0].get_text()


def test_implicit_explorer_plots_loss_norm_and_iterations():
    fig = explore.implicit_net(width=32, gamma=0.3, solver="plain", num_steps=20)
    ax_loss, ax_norm, ax_it = fig.axes
    assert ax_loss.get_yscale() == "log" and "fails" in ax_loss.get_title()
    norms = ax_norm.get_lines()[0].get_ydata()
    assert len(norms) == 21 and np.all(norms < 1)
    assert np.all(ax_it.get_lines()[0].get_ydata() >= 1)
    plt.close(fig)


def test_implicit_explorer_reports_an_ill_posed_scale():
    fig = explore.implicit_net(width=32, gamma=0.9, num_steps=5)
    assert "not known to be well posed" in fig.axes[0].texts[0].get_text()
    plt.close(fig)
