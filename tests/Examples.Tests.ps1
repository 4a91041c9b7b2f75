# Runs every script in examples/ in a fresh runspace (each starts and stops its own embedded broker) and checks
# that it finishes without errors: the examples are documentation users copy, so they must keep working.

BeforeDiscovery {
    $examples = Get-ChildItem -Path (Join-Path $PSScriptRoot '../examples') -Filter '*.ps1' | ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } }
}

Describe 'examples/<Name>' -ForEach $examples {
    It 'runs to the end without errors' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("`$ErrorActionPreference = 'Stop'; & '$($Path.Replace("'", "''"))'")
            $handle = $ps.BeginInvoke()
            $finished = $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(60))
            if (-not $finished) { $ps.Stop() }
            $finished | Should -BeTrue -Because "$Name must finish within 60 seconds"
            $ps.EndInvoke($handle) | Out-Null
            @($ps.Streams.Error) | ForEach-Object { $_.ToString() } | Should -BeNullOrEmpty
        }
        finally {
            $ps.Dispose()
        }
    }
}
