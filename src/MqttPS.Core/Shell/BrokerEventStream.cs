using System;
using MqttPS.Core.Broker;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Start-MqttBroker -Wait: broker events (raised on network threads) queue up and are handed to the cmdlet
    /// on the pipeline thread until Ctrl+C. Bounded like every queue here; drops are reported as a warning.
    /// </summary>
    public static class BrokerEventStream
    {
        public static void Run(MqttEmbeddedBroker broker, IShellHost host, Func<MqttBrokerEvent, bool> include, Action<MqttBrokerEvent> emit)
        {
            var queue = new BoundedQueue<MqttBrokerEvent>(BoundedQueue<MqttBrokerEvent>.DefaultCapacity);
            long reported = 0;
            using (broker.Listen(e => { if (include == null || include(e)) queue.Add(e); }))
            {
                while (!host.Stopping.IsCancellationRequested && broker.IsRunning)
                {
                    if (queue.TryTake(PipelineWait.Slice, out var e)) emit(e);
                    var dropped = queue.Dropped;
                    if (dropped > reported)
                    {
                        host.WriteWarning((dropped - reported) + " broker events were dropped because the pipeline fell behind.");
                        reported = dropped;
                    }
                }
                while (!host.Stopping.IsCancellationRequested && queue.TryTake(TimeSpan.Zero, out var rest)) emit(rest);
            }
        }
    }
}
