"""The aksml quickstart in Python: a DevTest inference cluster with Container Insights,
the router and one key-auth web service for the sample house-price model.

Set up (once):  pulumi package add ../..   (or the repository's git URL and a tag)
This generates the Python SDK `pulumi_aksml` from aksml's schema and adds it to
requirements.txt. Then: pulumi stack init dev && pulumi up.
Argument names are the TypeScript ones in snake_case (cpuCores -> cpu_cores).
"""
import pulumi
import pulumi_kubernetes as k8s
import pulumi_aksml as aksml

config = pulumi.Config()
location = config.get("location") or "westeurope"

# Monitoring first: the cluster takes its workspace and rule, so there is no cycle.
insights = aksml.ContainerInsights(
    "quickstart-insights",
    location=location,
    retention_in_days=30,
)

aks = aksml.AksInferenceCluster(
    "quickstart",
    cluster_purpose=aksml.ClusterPurpose.DEV_TEST,
    agent_count=1,
    vm_size="Standard_D2s_v5",
    location=location,
    monitoring=insights.cluster_monitoring,
)

# The components deploy their Kubernetes objects through this provider (a component's
# provider output cannot be passed as a resource option across languages).
cluster_provider = k8s.Provider("quickstart-k8s", kubeconfig=aks.kubeconfig, enable_server_side_apply=True)
on_cluster = pulumi.ResourceOptions(providers={"kubernetes": cluster_provider})

router = aksml.AzuremlFe("quickstart-fe", cluster=aks.connection, opts=on_cluster)

linear = aksml.ModelWebservice(
    "linear",
    cluster=aks.connection,
    router=router.connection,
    models=[aksml.ModelArgs(name="linear", version=1, path="../quickstart/model/linear-model.json")],
    inference_config=aksml.InferenceConfigArgs(entry_script="score.py", source_directory="../quickstart/model/src"),
    autoscale=aksml.AutoscaleArgs(min_replicas=1, max_replicas=3),
    description="Sample linear model: house price from rooms, area and age",
    opts=on_cluster,
)

pulumi.export("scoringUri", linear.scoring_uri)
pulumi.export("primaryKey", linear.primary_key)
