using System;

namespace MqttPS.Core.Broker.SysTopics
{
    /// <summary>
    /// mosquitto's load figures: a rate per minute, exponentially smoothed over 1, 5 and 15 minutes like Unix load
    /// averages: load = rate + e^(-dt/window) * (load - rate).
    /// </summary>
    internal sealed class LoadAverage
    {
        private static readonly double[] Windows = { 60.0, 300.0, 900.0 };
        private long _lastTotal;
        private bool _started;

        public double[] Values { get; } = new double[3];

        public void Update(long total, double elapsedSeconds)
        {
            if (!_started)
            {
                _started = true;
                _lastTotal = total;
                return;
            }
            if (elapsedSeconds <= 0) return;
            var perMinute = (total - _lastTotal) * 60.0 / elapsedSeconds;
            _lastTotal = total;
            for (var i = 0; i < Windows.Length; i++)
            {
                var exponent = Math.Exp(-elapsedSeconds / Windows[i]);
                Values[i] = perMinute + exponent * (Values[i] - perMinute);
            }
        }
    }
}
