using AkkaChat.Node.Users;

// Binds the generated command contracts of Proto/internal.proto to IWithUserId, so the shard
// extractor can route them without a wrapper envelope.
namespace AkkaChat.Node.Contracts;

public sealed partial class RequestCode : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class VerifyCode : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class Login : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class SubmitMessage : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class AcknowledgeItems : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class ItemsWritten : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class MarkRead : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class StoreReceipt : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class ReceiptStored : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class ResumeSession : IWithUserId { string IWithUserId.UserId => Phone; }

public sealed partial class ConfirmDirectoryEntry : IWithUserId { string IWithUserId.UserId => Phone; }
public sealed partial class BackfillDirectoryEntry : IWithUserId { string IWithUserId.UserId => Phone; }
