using KvStore.Server;

return await ServerHost.RunAsync(args);
