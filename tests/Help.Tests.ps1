# Get-Help against the compiled cmdlets: the help's SYNTAX is what Get-Command -Syntax shows (every parameter
# set, -WhatIf/-Confirm), its parameter details and defaults are the cmdlets' own, every example has a
# description, and nothing points to a page that does not exist.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force
    $script:cmdlets = @((Get-Module MqttPS).ExportedCmdlets.Keys | Sort-Object | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force
    $script:common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

    # Syntax lines as a user sees them, one per parameter set, whitespace normalised.
    function Get-SyntaxLines([string[]] $Text) {
        @($Text -split "`r?`n" | ForEach-Object { ($_ -replace '\s+', ' ').Trim() } | Where-Object { $_ })
    }
}

Describe '<Name> help' -ForEach $script:cmdlets {
    BeforeAll {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
    }

    It 'shows the syntax Get-Command -Syntax shows, every parameter set with -WhatIf and -Confirm' {
        $fromHelp = Get-SyntaxLines ($help.syntax | Out-String -Width 10000)
        $fromCode = Get-SyntaxLines (Get-Command $Name -Syntax)
        $fromHelp | Should -Be $fromCode
        $fromHelp.Count | Should -Be $command.ParameterSets.Count
        if ($command.Parameters.ContainsKey('WhatIf')) {
            $fromHelp | ForEach-Object { $_ | Should -Match '\[-WhatIf\] \[-Confirm\]' }
        }
    }

    It 'describes every parameter as the cmdlet declares it' {
        $declared = @($command.Parameters.Values | Where-Object { $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters })
        $documented = @($help.parameters.parameter)
        ($documented.name | Sort-Object) | Should -Be ($declared.Name | Sort-Object)
        foreach ($p in $declared) {
            $doc = $documented | Where-Object name -eq $p.Name
            $because = "$Name -$($p.Name)"
            ($doc.description.Text -join ' ').Length | Should -BeGreaterThan 15 -Because "$because has a description"
            $attributes = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
            ($doc.required -eq 'true') | Should -Be ([bool]($attributes | Where-Object Mandatory)) -Because "$because Required"
            $positions = @($attributes | Where-Object { $_.Position -ge 0 } | ForEach-Object Position)
            $doc.position | Should -Be $(if ($positions.Count -gt 0) { "$($positions[0])" } else { 'named' }) -Because "$because Position"
            $byValue = [bool]($attributes | Where-Object ValueFromPipeline)
            $byName = [bool]($attributes | Where-Object ValueFromPipelineByPropertyName)
            ($doc.pipelineInput -match 'ByValue') | Should -Be $byValue -Because "$because pipeline input by value"
            ($doc.pipelineInput -match 'ByPropertyName') | Should -Be $byName -Because "$because pipeline input by property name"
            ($doc.globbing -eq 'true') | Should -Be ([bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })) -Because "$because wildcards"
        }
    }

    It 'documents the default values the cmdlet really has' {
        $type = $command.ImplementingType
        $fresh = [Activator]::CreateInstance($type)
        foreach ($doc in @($help.parameters.parameter)) {
            if ($doc.name -in 'WhatIf', 'Confirm' -or $doc.defaultValue -in 'None', '', $null) { continue }
            $property = $type.GetProperty($doc.name)
            $actual = $property.GetValue($fresh)
            if ($actual -is [System.Management.Automation.SwitchParameter]) { $actual = $actual.IsPresent }
            if ($doc.defaultValue -match '[ (]') {
                # A default described in words (it depends on something else) is applied when the parameter is not
                # given: the parameter itself then holds its type's empty value.
                $empty = if ($property.PropertyType.IsValueType) { [Activator]::CreateInstance($property.PropertyType) } else { $null }
                if ($empty -is [System.Management.Automation.SwitchParameter]) { $empty = $empty.IsPresent }
                $actual | Should -Be $empty -Because "$Name -$($doc.name) is documented as '$($doc.defaultValue)', which only a parameter left unset can mean"
                continue
            }
            ($actual -join ', ') | Should -Be $doc.defaultValue -Because "$Name -$($doc.name) is documented with this default"
        }
    }

    It 'has at least two examples, each calling the cmdlet and explained' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($e in $examples) {
            $e.code | Should -Match ([regex]::Escape($Name))
            ($e.remarks.Text -join ' ').Trim().Length | Should -BeGreaterThan 20 -Because "$($e.title) explains what it does"
        }
    }

    It 'shows no empty NOTES section' {
        $text = $help | Out-String -Width 200
        if ($text -match '(?m)^NOTES\s*$') {
            ($help.alertSet.alert.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty
        }
    }

    It 'names its input and output types as the cmdlet declares them' {
        $outputs = @($help.returnValues.returnValue.type.name | ForEach-Object { $_.Trim() } | Where-Object { $_ -and $_ -ne 'None' })
        ($outputs | Sort-Object) | Should -Be (@($command.OutputType.Name | Sort-Object -Unique))
        $inputs = @($help.inputTypes.inputType.type.name | ForEach-Object { $_.Trim() } | Where-Object { $_ -and $_ -ne 'None' })
        $byValue = @($command.Parameters.Values | Where-Object { $_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipeline } } |
            ForEach-Object { $t = $_.ParameterType; if ($t.IsArray) { $t.GetElementType() } else { $t } } | ForEach-Object FullName | Sort-Object -Unique)
        foreach ($t in $byValue) { $inputs | Should -Contain $t -Because "$Name takes $t from the pipeline" }
    }

    It 'points only at help that exists: no online URI, related links to cmdlets and topics of the module' {
        $command.HelpUri | Should -BeNullOrEmpty
        foreach ($link in @($help.relatedLinks.navigationLink)) {
            if ($link.uri) { $link.uri | Should -Match '^https?://' }
            else { { Get-Help $link.linkText -ErrorAction Stop } | Should -Not -Throw -Because "'$($link.linkText)' is linked from $Name" }
        }
    }
}

Describe 'What the help warns about' {
    It 'says that -Action runs only a few times a second at an idle prompt, and what to do instead' {
        $help = Get-Help Register-MqttSubscription -Full
        $action = ($help.parameters.parameter | Where-Object name -eq 'Action').description.Text -join ' '
        $notes = $help.alertSet.alert.Text -join ' '
        foreach ($text in $action, $notes) {
            $text | Should -Match 'idle'
            $text | Should -Match '7 to 10 times a second'
            $text | Should -Match 'stream'
        }
    }
}
