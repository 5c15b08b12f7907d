using AkkaChat.Node.Users;

// Routes the status module's commands to the user actor of their phone (Proto/status.proto).
namespace AkkaChat.Node.Statuses;

public sealed partial class QueueStatus : IWithUserId { string IWithUserId.UserId => Phone; }
