/**
 * Smooth weighted round robin (nginx's upstream algorithm): every pick adds each
 * candidate's weight to its running score, picks the highest score and takes the total
 * off it. Over any run of picks each candidate's share stays within one pick of its
 * weight (80/20 gives A A A A B, repeated), with no random drift and the picks of a
 * heavy candidate spread out rather than bunched. One per endpoint per router process.
 */
export class SmoothWeightedChoice {
  /** Running scores by candidate name. */
  private readonly scores = new Map<string, number>();

  /**
   * Picks one of `candidates` (those with a weight > 0 take part); undefined when none
   * has weight. Names that stop being candidates lose their score.
   */
  pick(candidates: readonly { readonly name: string; readonly weight: number }[]): string | undefined {
    let total = 0;
    let best: string | undefined;
    let bestScore = -Infinity;
    for (const c of candidates) {
      if (!(c.weight > 0)) continue;
      const score = (this.scores.get(c.name) ?? 0) + c.weight;
      this.scores.set(c.name, score);
      total += c.weight;
      if (score > bestScore) {
        best = c.name;
        bestScore = score;
      }
    }
    if (best === undefined) return undefined;
    this.scores.set(best, bestScore - total);
    return best;
  }

  /** Forgets every score (the weights changed). */
  reset(): void {
    this.scores.clear();
  }
}

/**
 * A share of events, exactly: `take(percent)` is true for `percent` of the calls out of
 * every 100 (a Bresenham-style credit, not a random draw), e.g. which requests a mirror
 * receives a copy of.
 */
export class ShareCounter {
  private credit = 0;

  take(percent: number): boolean {
    if (percent <= 0) return false;
    this.credit += percent;
    if (this.credit < 100) return false;
    this.credit -= 100;
    return true;
  }
}
