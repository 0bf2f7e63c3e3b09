"""Random programs over the rule table (every row and operator, nesting and reuse), from a seed.

Used by tests/gradcheck/test_corpus.py (the three-way corpus) and tests/gradcheck/test_detection.py.
"""

import random

class Generator:
    """Random programs over the rule table. Domain-restricted rows get guarded arguments
    (log and sqrt of something positive, division by something away from 0), so random
    points inside the domain are easy to find."""

    UNARY = ["exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt", "abs", "softplus", "neg",
             "tan", "atan", "asin", "acos", "sinh", "cosh", "asinh", "atanh", "log2", "log10", "exp2", "expm1",
             "log1p", "cbrt", "erf", "gelu", "silu", "softsign", "log_sigmoid"]
    BINARY = ["add", "sub", "mul", "div", "powc", "pow", "elu", "leaky_relu", "max", "min", "atan2", "hypot",
              "logsumexp"]

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def leaf(self, names: list[str]) -> str:
        if self.rng.random() < 0.2:
            return self.rng.choice(["2", "0.5", "3", "1.5", "pi"])
        return self.rng.choice(names)

    def expr(self, names: list[str], depth: int, op: str | None = None) -> str:
        if depth == 0:
            return self.leaf(names)
        op = op or self.rng.choice(self.UNARY + self.BINARY)
        a = self.expr(names, depth - 1)
        b = self.expr(names, depth - 1)
        return {
            "exp": f"exp(tanh({a}))",                 # bounded, so nesting never overflows
            "log": f"log({a}*{a} + 0.5)",
            "tanh": f"tanh({a})",
            "sigmoid": f"sigmoid({a})",
            "relu": f"relu({a})",
            "sin": f"sin({a})",
            "cos": f"cos({a})",
            "sqrt": f"sqrt({a}*{a} + 0.25)",
            "abs": f"abs({a})",
            "softplus": f"softplus({a})",
            "neg": f"-({a})",
            "add": f"({a} + {b})",
            "sub": f"({a} - {b})",
            "mul": f"({a})*({b})",
            "div": f"({a})/(({b})^2 + 1)",
            "powc": f"({a})^{self.rng.choice(['2', '3'])}" if self.rng.random() < 0.5 else
                    f"(({a})^2 + 1)^{self.rng.choice(['-2', '0.5', '1.5'])}",
            "pow": f"(sigmoid({a}) + 0.5)^({b})",     # variable exponent: positive base
            # Inverse and hyperbolic rows get arguments inside (-0.5, 0.5) or above 0.5.
            "tan": f"tan(0.5*tanh({a}))",
            "atan": f"atan({a})",
            "asin": f"asin(0.5*tanh({a}))",
            "acos": f"acos(0.5*tanh({a}))",
            "sinh": f"sinh(tanh({a}))",
            "cosh": f"cosh(tanh({a}))",
            "asinh": f"asinh({a})",
            "atanh": f"atanh(0.5*tanh({a}))",
            "log2": f"log2({a}*{a} + 0.5)",
            "log10": f"log10({a}*{a} + 0.5)",
            "exp2": f"exp2(tanh({a}))",
            "expm1": f"expm1(tanh({a}))",
            "log1p": f"log1p(0.5*tanh({a}))",
            "cbrt": f"cbrt({a}*{a} + 0.5)",           # cbrt'(0) is infinite: keep away from 0
            "erf": f"erf({a})",
            "gelu": f"gelu({a})",
            "silu": f"silu({a})",
            "softsign": f"softsign({a})",
            "log_sigmoid": f"log_sigmoid({a})",
            "elu": f"elu({a}, {b})",
            "leaky_relu": f"leaky_relu({a}, {b})",
            "max": f"max({a}, {b} + 0.25)",           # a tie (max(x, x)) is a kink: kept off it
            "min": f"min({a}, {b} + 0.25)",
            "atan2": f"atan2({a}, {b}*{b} + 0.5)",
            "hypot": f"hypot({a}, {b}*{b} + 0.5)",    # hypot'(0, 0) is a kink: keep the second away
            "logsumexp": f"logsumexp({a}, {b}, tanh({a}))",
        }[op]

    def program(self, i: int) -> str:
        inputs = [f"x{k}" for k in range(self.rng.randint(1, 3))]
        ops = self.UNARY + self.BINARY
        first = ops[i % len(ops)]                   # cycle through every row
        if i % 3 == 0:
            return self.expr(inputs, self.rng.randint(1, 3), first)
        # Reuse: named intermediates read several times, and by later statements.
        lines, names = [], list(inputs)
        for k in range(self.rng.randint(1, 3)):
            name = f"t{k}"
            lines.append(f"{name} = {self.expr(names, self.rng.randint(1, 2), first if k == 0 else None)}")
            names.append(name)
        last = names[-1]
        lines.append(f"out = {last}*{self.rng.choice(names)} + {self.expr(names, 1)} - {last}")
        return "\n".join(lines)
