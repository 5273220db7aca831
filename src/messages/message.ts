export interface Message {
  id: string;
  authorId: string;
  text: string;
  /** Recipients, or null for every other user. */
  to: string[] | null;
  createdAt: string;
}
