namespace KeyVault.Embedded.Operations;

/// <summary>
/// One step of the operation path, in the manner of Azure.Core's pipeline policies: each runs at the start of every
/// operation, in order, and hears its end, in reverse order. A policy that throws at the start refuses the operation:
/// nothing after it runs and the policies before it hear the failure.
/// </summary>
/// <remarks>
/// An abstract class rather than an interface: a virtual call costs the same at a call site that sees several
/// policies, an interface call there goes through a slower resolving stub.
/// </remarks>
internal abstract class OperationPolicy
{
    /// <summary>Runs before the operation's work; throw to refuse it.</summary>
    public abstract void OnStart(ref OperationContext context);

    /// <summary>Runs after the operation, with its failure (null when it succeeded); must not throw.</summary>
    public abstract void OnEnd(ref OperationContext context, Exception? failure);
}
