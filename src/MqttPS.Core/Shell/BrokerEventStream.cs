using System;
using MqttPS.Core.Broker;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Start-MqttBroker -Wait: broker events (raised on network threads) queue up and are handed to the cmdlet
    /// on the pipeline thread until Ctrl+C. Bounded like every queue here; drops are reported in coalesced warnings.
    /// </summary>
    public static class BrokerEventStream
    {
        public static void Run(MqttEmbeddedBroker broker, IShellHost host, Func<MqttBrokerEvent, bool> include, Action<MqttBrokerEvent> emit)
        {
            var queue = new BoundedQueue<MqttBrokerEvent>(BoundedQueue<MqttBrokerEvent>.DefaultCapacity);
            var drops = new DropReport((recent, total, final) => final
                ? DropReport.Count(total) + " broker events were dropped in all because the pipeline fell behind."
                : DropReport.Count(recent) + " broker events were dropped because the pipeline fell behind" + (total > recent ? " (" + DropReport.Count(total) + " in all)." : "."));
            using (broker.Listen(e => { if (include == null || include(e)) queue.Add(e); }))
            {
                while (!host.Stopping.IsCancellationRequested && broker.IsRunning)
                {
                    if (queue.TryTake(PipelineWait.Slice, out var e)) emit(e);
                    drops.Update(host, queue.Dropped);
                }
                while (!host.Stopping.IsCancellationRequested && queue.TryTake(TimeSpan.Zero, out var rest)) emit(rest);
                if (!host.Stopping.IsCancellationRequested) drops.Finish(host, queue.Dropped);
            }
        }
    }
}
