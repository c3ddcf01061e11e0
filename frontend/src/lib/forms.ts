// Form rules shared by the pages, checked in the browser before the host
// checks them again (the host's word is final; these save a round trip).
import { z } from "zod";

/** The host's password policy: 12 to 256 characters. */
export const PASSWORD_MIN = 12;

export const username = z
  .string()
  .trim()
  .min(1, "Choose a username.")
  .max(64, "At most 64 characters.")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, "Use letters, digits and . _ - @, starting with a letter or digit.");

export const password = z
  .string()
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters; a few words together work well.`)
  .max(256, "At most 256 characters.");

/** A new password typed twice. */
export const newPassword = z
  .object({ password, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { message: "The two passwords are different.", path: ["confirm"] });

/** A date the person types, as YYYY-MM-DD, not in the future. */
export const pastDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Enter a date.")
  .refine((d) => !Number.isNaN(Date.parse(d)), "Enter a real date.")
  .refine((d) => d <= new Date().toISOString().slice(0, 10), "The date cannot be in the future.");

export const setupSchema = z
  .object({
    display_name: z.string().trim().max(100, "At most 100 characters."),
    username,
    password,
    confirm: z.string(),
    profile_name: z.string().trim().min(1, "Whose records are these? A name is enough.").max(100, "At most 100 characters."),
    /** The first person's birth date: optional. */
    birth_date: z.union([z.literal(""), pastDate]),
  })
  .refine((v) => v.password === v.confirm, { message: "The two passwords are different.", path: ["confirm"] });
export type SetupForm = z.infer<typeof setupSchema>;

export const signInSchema = z.object({
  username: z.string().trim().min(1, "Enter your username."),
  password: z.string().min(1, "Enter your password."),
  totp_code: z.string().trim().optional(),
});
export type SignInForm = z.infer<typeof signInSchema>;
