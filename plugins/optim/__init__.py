"""Classical optimizers: quickProp, Newton, conjugate gradients, BFGS / L-BFGS and
Levenberg-Marquardt. All but quickProp evaluate the loss several times per step, so they
declare Batching.REEVALUATES and the program feeds them the whole training split."""

MODULES = ["quickprop", "conjugate", "bfgs", "newton", "levenberg"]
