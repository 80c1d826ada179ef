import vine from '@vinejs/vine'
import RelanceTemplate from '#models/relance_template'
import { unknownPlaceholders } from '#support/text_templates'
import { locale, plainText } from '#validators/rules'

/** Every `{{name}}` must be one of the placeholders a relance fills. */
const knownPlaceholdersRule = vine.createRule((value, _options, field) => {
  if (typeof value !== 'string') return
  const [unknown] = unknownPlaceholders(value, RelanceTemplate.PLACEHOLDERS)
  if (unknown !== undefined) {
    // Named without braces: VineJS would read them as its own message placeholders
    field.report(
      `The {{ field }} field uses the unknown placeholder "${unknown}"; known ones are ${RelanceTemplate.PLACEHOLDERS.join(', ')}`,
      'placeholder',
      field
    )
  }
})

const templateText = () => plainText(RelanceTemplate.MAX_LENGTH).use(knownPlaceholdersRule())

export const saveRelanceTemplateValidator = vine.create({
  locale: locale(),
  // A subject is one line: a line break there would split the header
  subject: templateText().regex(/^[^\r\n]*$/),
  body: templateText(),
})

export const deleteRelanceTemplateValidator = vine.create({
  locale: locale(),
})
