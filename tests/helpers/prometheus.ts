import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format'

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`
// Go's ParseFloat, as Prometheus reads values: Inf and NaN in any case
const VALUE = '[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?[iI][nN][fF]|[nN][aA][nN]'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(${LABEL}(?:,${LABEL})*)?,?\\})? (${VALUE})$`)
const HELP = new RegExp(`^# HELP (${NAME}) .*$`)
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
}

export type Sample = { name: string; labels: Record<string, string>; value: number }

/**
 * A scrape checked against the Prometheus text format 0.0.4, line by line
 * (the parser library accepts stray lines, and loses the count of labelled
 * histograms): every line a HELP, a TYPE or a sample of a family declared
 * above it, every label well quoted, every value a number; then parsed by
 * parse-prometheus-text-format, which refuses malformed samples too.
 * Returns the samples.
 */
export function parseScrape(text: string): { samples: Sample[]; families: ParsedFamily[] } {
  const types = new Map<string, string>()
  const helps = new Set<string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const help = HELP.exec(line)
    const type = TYPE.exec(line)
    const sample = SAMPLE.exec(line)
    if (help) helps.add(help[1])
    else if (type) types.set(type[1], type[2])
    else if (sample) {
      const [, name, labels = '', value] = sample
      const family = [...types.entries()].find(([declared, kind]) =>
        (SUFFIXES[kind] ?? ['']).some((suffix) => name === `${declared}${suffix}`)
      )
      if (!family || !helps.has(family[0])) {
        throw new Error(`sample of an undeclared family: ${line}`)
      }
      samples.push({
        name,
        labels: Object.fromEntries(
          [...labels.matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, key, raw]) => [
            key,
            raw,
          ])
        ),
        value: Number(value),
      })
    } else {
      throw new Error(`not a line of the Prometheus text format: ${JSON.stringify(line)}`)
    }
  }
  return { samples, families: parsePrometheusTextFormat(text) }
}

/** The value of the sample of `name` whose labels include `labels`; 0 when there is none. */
export function sampleValue(
  scrape: { samples: Sample[] },
  name: string,
  labels: Record<string, string> = {}
): number {
  const sample = scrape.samples.find(
    (candidate) =>
      candidate.name === name &&
      Object.entries(labels).every(([key, value]) => candidate.labels[key] === value)
  )
  return sample?.value ?? 0
}
