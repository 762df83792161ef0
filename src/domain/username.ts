/** A valid username (Pryv API §1.1): 5–60 characters, lowercase letters, digits and inner dashes. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9-]{3,58}[a-z0-9]$/;
