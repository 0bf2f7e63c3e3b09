"""Each call row's PyTorch function, for the optional comparison with PyTorch float64
(tests/rules/test_table_references.py). The map is enforced without torch installed
(tests/rules/test_checklist.py): a new call row needs an entry here.

A value is the function's dotted path in PyTorch, or, for a row PyTorch has no function for, a
composition in PyTorch's operations (torch -> function).
"""

TORCH = {
    "exp": "torch.exp", "log": "torch.log", "tanh": "torch.tanh", "sigmoid": "torch.sigmoid",
    "relu": "torch.relu", "sin": "torch.sin", "cos": "torch.cos", "sqrt": "torch.sqrt", "abs": "torch.abs",
    "softplus": "torch.nn.functional.softplus", "tan": "torch.tan", "atan": "torch.atan", "asin": "torch.asin",
    "acos": "torch.acos", "sinh": "torch.sinh", "cosh": "torch.cosh", "asinh": "torch.asinh",
    "atanh": "torch.atanh", "log2": "torch.log2", "log10": "torch.log10", "exp2": "torch.exp2",
    "expm1": "torch.expm1", "log1p": "torch.log1p",
    "cbrt": lambda torch: lambda x: torch.sign(x) * torch.abs(x) ** (1.0 / 3.0),
    "erf": "torch.special.erf", "gelu": "torch.nn.functional.gelu", "silu": "torch.nn.functional.silu",
    "elu": "torch.nn.functional.elu", "leaky_relu": "torch.nn.functional.leaky_relu",
    "softsign": "torch.nn.functional.softsign", "log_sigmoid": "torch.nn.functional.logsigmoid",
    "logit": "torch.logit", "max": "torch.maximum", "min": "torch.minimum", "atan2": "torch.atan2", "hypot": "torch.hypot",
    "logsumexp": "torch.logsumexp",
    "where": lambda torch: lambda c, x, y: torch.where(c != 0, x, y),
    "clamp": "torch.clamp", "sign": "torch.sign", "hardtanh": "torch.nn.functional.hardtanh",
    "relu6": "torch.nn.functional.relu6",
    "huber": lambda torch: lambda x, d: torch.where(x.abs() < d, 0.5 * x * x, d * (x.abs() - 0.5 * d)),
    "smooth_l1": lambda torch: lambda x, b: torch.where(x.abs() < b, 0.5 * x * x / b, x.abs() - 0.5 * b),
    "softplus_beta": "torch.nn.functional.softplus",   # beta and threshold are Python floats to torch
    "stop_gradient": lambda torch: lambda x: x.detach() + 0.0 * x,   # detach, in a graph that reaches x
    "acosh": "torch.acosh", "floor": "torch.floor", "ceil": "torch.ceil", "round": "torch.round",
    "sec": lambda torch: lambda x: 1.0 / torch.cos(x), "csc": lambda torch: lambda x: 1.0 / torch.sin(x),
    "cot": lambda torch: lambda x: 1.0 / torch.tan(x), "sinc": "torch.sinc",
}


def torch_function(torch, name):
    """The PyTorch function of the row ``name`` (``torch``: the imported module)."""
    entry = TORCH[name]
    if callable(entry):
        return entry(torch)
    fn = torch
    for part in entry.split(".")[1:]:
        fn = getattr(fn, part)
    return fn
