/**
 * vCPUs per node for common Azure VM sizes, so cluster sizing rules (Azure ML's
 * "at least 12 vCPUs for FastProd") can be checked before anything is deployed.
 * Sizes not listed here need an explicit `vcpusPerNode`; policies and the router
 * read the same table (platform convention).
 */
const VCPUS_BY_SIZE: Readonly<Record<string, number>> = {
  // Burstable
  Standard_B2s: 2,
  Standard_B2ms: 2,
  Standard_B4ms: 4,
  Standard_B8ms: 8,
  // General purpose, previous generations (Azure ML's historical defaults)
  Standard_D2_v2: 2,
  Standard_D3_v2: 4,
  Standard_D4_v2: 8,
  Standard_D5_v2: 16,
  Standard_DS2_v2: 2,
  Standard_DS3_v2: 4,
  Standard_DS4_v2: 8,
  Standard_DS5_v2: 16,
  Standard_D2s_v3: 2,
  Standard_D4s_v3: 4,
  Standard_D8s_v3: 8,
  Standard_D16s_v3: 16,
  Standard_D2s_v4: 2,
  Standard_D4s_v4: 4,
  Standard_D8s_v4: 8,
  // General purpose, current generation
  Standard_D2s_v5: 2,
  Standard_D4s_v5: 4,
  Standard_D8s_v5: 8,
  Standard_D16s_v5: 16,
  Standard_D32s_v5: 32,
  Standard_D2ds_v5: 2,
  Standard_D4ds_v5: 4,
  Standard_D8ds_v5: 8,
  Standard_D16ds_v5: 16,
  Standard_D2as_v5: 2,
  Standard_D4as_v5: 4,
  Standard_D8as_v5: 8,
  Standard_D16as_v5: 16,
  Standard_D2s_v6: 2,
  Standard_D4s_v6: 4,
  Standard_D8s_v6: 8,
  Standard_D16s_v6: 16,
  // Memory optimised
  Standard_E2s_v5: 2,
  Standard_E4s_v5: 4,
  Standard_E8s_v5: 8,
  Standard_E16s_v5: 16,
  // Compute optimised
  Standard_F2s_v2: 2,
  Standard_F4s_v2: 4,
  Standard_F8s_v2: 8,
  Standard_F16s_v2: 16,
  // GPU (NVIDIA)
  Standard_NC4as_T4_v3: 4,
  Standard_NC8as_T4_v3: 8,
  Standard_NC16as_T4_v3: 16,
  Standard_NC64as_T4_v3: 64,
  Standard_NC6s_v3: 6,
  Standard_NC12s_v3: 12,
  Standard_NC24s_v3: 24,
  Standard_NC24ads_A100_v4: 24,
  Standard_NC48ads_A100_v4: 48,
  Standard_NC96ads_A100_v4: 96,
  Standard_NC40ads_H100_v5: 40,
  Standard_NV6ads_A10_v5: 6,
  Standard_NV12ads_A10_v5: 12,
  Standard_NV36ads_A10_v5: 36,
};

/** vCPUs of one node of `size` (case-insensitive), or undefined for sizes not in the table. */
export function vcpusForVmSize(size: string): number | undefined {
  const exact = VCPUS_BY_SIZE[size];
  if (exact !== undefined) return exact;
  const lower = size.toLowerCase();
  const key = Object.keys(VCPUS_BY_SIZE).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : VCPUS_BY_SIZE[key];
}

/** Every size in the table, for documentation and tests. */
export function knownVmSizes(): string[] {
  return Object.keys(VCPUS_BY_SIZE);
}
