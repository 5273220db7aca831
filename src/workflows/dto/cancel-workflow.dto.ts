/** A cancellation takes no fields; declaring the empty body makes unknown ones a 400. */
export class CancelWorkflowDto {}
