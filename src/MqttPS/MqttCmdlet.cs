using System;
using System.Management.Automation;
using MqttPS.Core.Messages;
using System.Management.Automation.Runspaces;
using System.Threading;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// What every MqttPS cmdlet shares: its own stop token (PipelineStopToken does not exist in Windows
    /// PowerShell 5.1), the session's MQTT state, and the <see cref="IShellHost"/> the Shell layer writes
    /// verbose, warning and progress output through, all on the pipeline thread.
    /// </summary>
    public abstract class MqttCmdlet : PSCmdlet, IShellHost, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private VerboseQueue _verbose;
        private bool _disposed;

        /// <summary>Cancelled by StopProcessing (Ctrl+C or a downstream Select-Object -First).</summary>
        protected CancellationToken StopToken => _stop.Token;

        CancellationToken IShellHost.Stopping => _stop.Token;

        /// <summary>Queue for the protocol trace of this cmdlet's calls, drained into -Verbose while waiting; null
        /// when verbose output is off, so the engine does not format trace lines nobody reads.</summary>
        protected VerboseQueue Verbose => WantsVerbose ? (_verbose ?? (_verbose = new VerboseQueue())) : null;

        private bool? _wantsVerbose;

        private bool WantsVerbose
        {
            get
            {
                if (_wantsVerbose == null)
                {
                    if (MyInvocation.BoundParameters.TryGetValue("Verbose", out var bound))
                        _wantsVerbose = bound is SwitchParameter sw ? sw.IsPresent : LanguagePrimitives.IsTrue(bound);
                    else
                    {
                        // $VerbosePreference = 'Continue' in a script scope is a plain string, not an ActionPreference.
                        _wantsVerbose = LanguagePrimitives.TryConvertTo(SessionState.PSVariable.GetValue("VerbosePreference"), out ActionPreference preference) &&
                                        preference != ActionPreference.SilentlyContinue && preference != ActionPreference.Ignore;
                    }
                }
                return _wantsVerbose.Value;
            }
        }

        private MqttShellSession _session;

        /// <summary>The MQTT state of the runspace this cmdlet runs in (connections, subscriptions, brokers). The first
        /// use in a command writes what happened in the background since the last command (a background subscription
        /// that ended, QoS 0 messages it dropped, queued publishes that failed) as warnings.</summary>
        protected MqttShellSession Session
        {
            get
            {
                if (_session != null) return _session;
                _session = SessionFor(Runspace.DefaultRunspace);
                foreach (var notice in _session.TakeNotices()) ((IShellHost)this).WriteWarning(notice);
                return _session;
            }
        }

        private MqttShellSession SessionFor(Runspace runspace)
        {
            if (runspace == null) return MqttShellSession.For(SessionState, () => new MqttShellSession(new MqttClientAdapterFactory()));
            return MqttShellSession.For(runspace, () =>
            {
                var session = new MqttShellSession(new MqttClientAdapterFactory());
                ModuleCleanup.Attach(MyInvocation.MyCommand.Module);
                // Connections and brokers belong to the runspace: close them with it, or their sockets outlive it.
                runspace.StateChanged += (sender, e) =>
                {
                    var state = e.RunspaceStateInfo.State;
                    if (state == RunspaceState.Closing || state == RunspaceState.Closed || state == RunspaceState.Broken)
                        session.CloseAll(null);
                };
                return session;
            });
        }

        protected override void StopProcessing()
        {
            // StopProcessing comes from another thread and may race with Dispose.
            try { _stop.Cancel(); }
            catch (ObjectDisposedException) { }
        }

        void IShellHost.WriteVerbose(string text)
        {
            if (_stop.IsCancellationRequested) return; // writing after Ctrl+C throws PipelineStoppedException
            try { WriteVerbose(text); } catch (PipelineStoppedException) { }
        }

        void IShellHost.WriteWarning(string text)
        {
            if (_stop.IsCancellationRequested) return;
            try { WriteWarning(text); } catch (PipelineStoppedException) { }
        }

        void IShellHost.WriteProgress(string activity, string status, int percentComplete)
        {
            if (_stop.IsCancellationRequested) return;
            try
            {
                WriteProgress(new ProgressRecord(ActivityId(activity), activity, status) { PercentComplete = percentComplete });
            }
            catch (PipelineStoppedException) { }
        }

        void IShellHost.CompleteProgress(string activity)
        {
            if (_stop.IsCancellationRequested) return;
            try
            {
                WriteProgress(new ProgressRecord(ActivityId(activity), activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
            catch (PipelineStoppedException) { }
        }

        private static int ActivityId(string activity) => (activity.GetHashCode() & 0x7FFFFFFF) % 100000 + 1;

        /// <summary>Runs a Shell call: errors become non-terminating ErrorRecords, Ctrl+C ends quietly.</summary>
        protected bool Try(Action action, object targetObject = null, string errorId = "MqttOperationFailed")
        {
            try
            {
                action();
                return true;
            }
            catch (MqttShellException e)
            {
                WriteError(ErrorRecords.From(e));
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception e) when (!(e is PipelineStoppedException) && !(e is ActionPreferenceStopException) && !(e is PSInvalidOperationException))
            {
                WriteError(ErrorRecords.From(ShellErrorClassifier.Classify(e, errorId, targetObject)));
            }
            return false;
        }

        /// <summary>Like <see cref="Try"/> but the error ends the cmdlet (for failures nothing can follow, e.g. no connection).</summary>
        protected T Require<T>(Func<T> func, object targetObject = null, string errorId = "MqttOperationFailed")
        {
            try
            {
                return func();
            }
            catch (MqttShellException e)
            {
                ThrowTerminatingError(ErrorRecords.From(e));
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception e) when (!(e is PipelineStoppedException) && !(e is ActionPreferenceStopException) && !(e is PSInvalidOperationException))
            {
                ThrowTerminatingError(ErrorRecords.From(ShellErrorClassifier.Classify(e, errorId, targetObject)));
            }
            return default(T);
        }

        /// <summary>
        /// The connection a cmdlet works with: -Connection, else a one-off connection to -Broker (closed by the
        /// caller when <paramref name="transient"/>), else the session's default. Terminates with a clear error
        /// when there is none.
        /// </summary>
        protected MqttConnection ResolveConnection(MqttConnection given, string broker, int? port, PSCredential credential, out bool transient)
        {
            transient = false;
            if (broker != null)
            {
                var settings = new MqttConnectionSettings
                {
                    Broker = broker,
                    Port = port,
                    Username = credential?.UserName,
                    Password = credential == null ? null : PSConvert.ToPlainText(credential.Password),
                };
                transient = true;
                return Require(() => Session.OpenTransient(settings, this), broker, "ConnectFailed");
            }
            return Require(() => Session.Connections.Resolve(given), given, "NoConnection");
        }

        protected void Dispose(bool disposing)
        {
            if (_disposed) return;
            _disposed = true;
            if (disposing)
            {
                try { CleanUp(); }
                finally { _stop.Dispose(); }
            }
        }

        /// <summary>Releases what the cmdlet holds (subscriptions, transient connections). PowerShell calls
        /// Dispose on a cmdlet that implements IDisposable when its pipeline ends, including after
        /// Select-Object -First stopped it and after Ctrl+C.</summary>
        protected virtual void CleanUp() { }

        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }
    }
}
