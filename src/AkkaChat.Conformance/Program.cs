using AkkaChat.Conformance;

return await ConformanceCli.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
