/**
 * The playground's "Save as prompt": the POST /prompts body made from the editor, a pure function so that
 * test/api/playground-save-prompt.integration.test.ts posts exactly what the page does. The editor's system and
 * user text become version 1 (its variables are the template's `{{slots}}`, declared by the route); an empty
 * system box means no system message. The name is sent trimmed; the route checks it (PROMPT_NAME).
 */
import type { NewPromptBody } from '../../../api/routes/prompts.ts';

export function savePromptBody(name: string, system: string, user: string): NewPromptBody {
  return { name: name.trim(), template: { ...(system ? { system } : {}), user } };
}
