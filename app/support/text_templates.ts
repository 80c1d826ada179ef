/**
 * Plain-text templates with `{{name}}` placeholders. Filling is one pass
 * over the template: a value that itself contains `{{…}}` is written as is,
 * never expanded again.
 */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g

/** The names a text uses, in order of appearance, once each. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map(([, name]) => name.trim()))]
}

/** The names a text uses that are not in `known`. */
export function unknownPlaceholders(text: string, known: readonly string[]): string[] {
  return placeholdersIn(text).filter((name) => !known.includes(name))
}

/** Whether the text names this placeholder. */
export function usesPlaceholder(text: string, name: string) {
  return placeholdersIn(text).includes(name)
}

/** The text with each known placeholder replaced by its value; unknown ones stay as written. */
export function fillPlaceholders(text: string, values: Record<string, string>) {
  return text.replace(PLACEHOLDER, (match, name: string) => {
    const key = name.trim()
    return Object.hasOwn(values, key) ? values[key] : match
  })
}

/** The one placeholder a line holds when it holds nothing else. */
export function standalonePlaceholder(line: string): string | null {
  const match = /^\s*\{\{([^{}]*)\}\}\s*$/.exec(line)
  return match ? match[1].trim() : null
}
