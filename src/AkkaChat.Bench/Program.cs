using AkkaChat.Bench;

return await BenchCommandLine.Create().Parse(args).InvokeAsync();
