"""Azure ML entry script for the quickstart's linear model.

The inference server (azmlinfsrv) calls init() once at start and run() per request.
AZUREML_MODEL_DIR is the model's version folder (one model: azureml-models/linear/1).
"""
import json
import os

model = None


def init():
    global model
    path = os.path.join(os.environ.get("AZUREML_MODEL_DIR", "."), "linear-model.json")
    with open(path, encoding="utf-8") as f:
        model = json.load(f)
    if len(model["coefficients"]) != len(model["features"]):
        raise ValueError("model file: coefficients and features differ in length")


def run(raw_data):
    """Body: {"data": [[rooms, area_m2, age_years], ...]} -> {"predictions": [...]}."""
    rows = json.loads(raw_data)["data"]
    width = len(model["features"])
    predictions = []
    for row in rows:
        if len(row) != width:
            return {"error": f"each row needs {width} values: {', '.join(model['features'])}"}
        value = model["intercept"] + sum(c * float(x) for c, x in zip(model["coefficients"], row))
        predictions.append(round(value, 4))
    return {"predictions": predictions}
