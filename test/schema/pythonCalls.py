"""Prints, as JSON, every `aksml.<Name>(...)` call of a Python program: the class, its
keyword arguments and the kind of each value (literals, nested `aksml.<Type>Args(...)`,
lists, and `<resource>.<output>` attribute reads). Used by examplesAgainstSchema.test.ts."""
import ast
import json
import sys

tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
variables = {}  # name -> class of the aksml resource assigned to it


def kind(node):
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return {"kind": "boolean"}
        if isinstance(v, (int, float)):
            return {"kind": "number"}
        if isinstance(v, str):
            return {"kind": "string"}
    if isinstance(node, ast.List):
        return {"kind": "array", "items": [kind(e) for e in node.elts]}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", None) == "aksml":
        return {"kind": "object", "type": node.func.attr, "args": {k.arg: kind(k.value) for k in node.keywords}}
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and getattr(node.value.value, "id", None) == "aksml":
        return {"kind": "enum", "type": node.value.attr, "member": node.attr}
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in variables:
        return {"kind": "output", "resource": variables[node.value.id], "output": node.attr}
    return {"kind": "expression"}


calls = []
for stmt in ast.walk(tree):
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
        f = stmt.value.func
        if isinstance(f, ast.Attribute) and getattr(f.value, "id", None) == "aksml":
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    variables[t.id] = f.attr
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", None) == "aksml":
        if node.func.attr[:1].isupper() and not node.func.attr.endswith("Args"):
            calls.append({"resource": node.func.attr, "args": {k.arg: kind(k.value) for k in node.keywords if k.arg != "opts"}})
exports = [kind(n.args[1]) for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "export"]
print(json.dumps({"calls": calls, "exports": exports}))
